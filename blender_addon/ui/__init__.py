"""The add-on's UI layer: properties, preferences, operators and panels (thin: they call the other layers)."""
