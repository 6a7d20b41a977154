"""The kanban board (看板): stages, cards, drag-and-drop moves with conflict detection.

Entry points: `views.bp` (`/board`, move, card dialogs), `services` (a move and its consequences),
`rules` (which moves are allowed), `cards` and `queries` (the columns), `stages`.
"""
