"""Gradio web UI over the assistant's public API.

    python app.py [--index DIR] [--host 127.0.0.1] [--port 7860]
"""

from __future__ import annotations

import argparse
import os

import gradio as gr

from assistant import Assistant, AssistantError, Settings
from assistant.render import quote_html


def build_ui(assistant: Assistant) -> gr.Blocks:
    """Return the app's Blocks, answering through ``assistant``."""

    def respond(message: str, history: list[dict]) -> str:
        try:
            answer = assistant.ask(message, history=history)
        except AssistantError as exc:
            return f"**Error:** {exc}"
        parts = [answer.text] if not answer.quotes else []
        parts += [quote_html(n, q) for n, q in enumerate(answer.quotes, start=1)]
        return "\n\n".join(parts)

    with gr.Blocks(title="Report assistant") as demo:
        gr.Markdown("## Report assistant\nAsk about the indexed reports; every answer is quoted.")
        gr.ChatInterface(respond)
    return demo


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the report assistant web UI.")
    parser.add_argument("--index", default=None, help="index folder (default: index/)")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    args = parser.parse_args()
    assistant = Assistant.open(settings=Settings.load(index_dir=args.index))
    build_ui(assistant).launch(server_name=args.host, server_port=args.port)


if __name__ == "__main__":
    main()
