"""Write a messages.po from a tab-separated "msgid<TAB>translation" file.

    python -m app.web.po_tool app/leads/translations/zh/LC_MESSAGES/messages.po pairs.tsv

Existing entries are kept; new pairs are added or replace old translations.
"""

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def merge(po_path: Path, pairs: list[tuple[str, str]], locale: str = "zh_CN") -> int:
    if po_path.exists():
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
    else:
        catalog = Catalog(locale=locale, project="LeadLoop", charset="utf-8")
    for msgid, text in pairs:
        catalog.add(msgid, text)
    po_path.parent.mkdir(parents=True, exist_ok=True)
    with po_path.open("wb") as fh:
        write_po(fh, catalog, width=0, sort_output=True, omit_header=False)
    return len(pairs)


def main(argv: list[str]) -> None:
    po_path, tsv = Path(argv[0]), Path(argv[1])
    pairs = []
    for line in tsv.read_text(encoding="utf-8").splitlines():
        if line.strip() and "\t" in line:
            msgid, text = line.split("\t", 1)
            pairs.append((msgid.replace("\\n", "\n"), text.replace("\\n", "\n")))
    print(f"{merge(po_path, pairs)} messages written to {po_path}")


if __name__ == "__main__":
    main(sys.argv[1:])
