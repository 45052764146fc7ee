"""Portfolio tools (the account 360, the portfolio list, the timeline): each `<group>.py`
next to its `<group>_contracts.py`. The registry finds every module here by walking the
package."""
