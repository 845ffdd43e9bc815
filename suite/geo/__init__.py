"""Offline base maps: district outlines shipped as data and a server-side SVG renderer."""
