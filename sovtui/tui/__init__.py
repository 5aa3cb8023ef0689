"""The Textual app: screens, widgets, palette, themes. Renders what monitor/ publishes."""
