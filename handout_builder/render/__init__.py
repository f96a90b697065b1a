"""Render stage: the model to HTML through templates/, in the output's language (handouts, brochure, leaflet)."""
