"""Textual screens: each composes widgets and wires them to the App's reactives."""
