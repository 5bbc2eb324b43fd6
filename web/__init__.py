"""The chat page's parts beyond wiring: how answers are rendered, and where feedback goes.

`app.py` puts them together with the Gradio page and the HTTP API; chat.css styles what render.py writes.
"""
