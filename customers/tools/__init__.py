"""Account tools (register, update): each `<group>.py` next to its `<group>_contracts.py`.
The registry finds every module here by walking the package."""
