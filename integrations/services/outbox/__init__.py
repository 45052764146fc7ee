"""Provider calls made after commit (docs/ARCHITECTURE.md, "Outbox").

- ``messages``: storing a call to make (inside the caller's transaction);
- ``deliver``: one attempt — claim the row, call the provider outside any transaction,
  record the outcome on the outbox row and the local row;
- ``calls``: what each kind of call sends, and how it avoids doing anything twice.
"""
