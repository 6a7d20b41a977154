"""Display names built from parts: people with their role, vehicles from brand, series and model."""


def with_role(name: str, role_word: str) -> str:
    """Return "王丽（经理）": the role in full-width brackets, once, even if the name already carries it."""
    name = (name or "").strip()
    suffix = f"（{role_word}）"
    if not role_word or name.endswith(suffix) or name.endswith(f"({role_word})"):
        return name
    return f"{name}{suffix}"


def vehicle_name(*parts: str | None) -> str:
    """Return brand + series + model as people say it: a part that repeats the words before it is not repeated.

    ("星途", "揽月", "揽月 400T 四驱版") → "星途 揽月 400T 四驱版"; ("", "凌云", "凌云 400T") → "凌云 400T".
    """
    words: list[str] = []
    for part in parts:
        text = " ".join((part or "").split())
        if not text:
            continue
        joined = " ".join(words)
        if joined and (joined == text or joined.endswith(" " + text) or joined.endswith(text)):
            continue  # this part is already said
        tail = text
        # The part may begin with the last words already said ("揽月" + "揽月 400T"): drop them.
        for size in range(min(len(words), len(tail.split())), 0, -1):
            if words[-size:] == tail.split()[:size]:
                tail = " ".join(tail.split()[size:])
                break
        else:
            if words and tail.startswith(words[-1]) and tail != words[-1]:
                tail = tail[len(words[-1]) :].strip()  # "揽月" + "揽月400T" → "400T"
        if tail:
            words.extend(tail.split())
    return " ".join(words)
