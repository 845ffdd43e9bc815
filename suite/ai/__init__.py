"""The model-access layer: one gateway to speech, language, image and vision models.

Product modules call the capability functions in `suite.ai.gateway` and never a backend
directly, so every call is quota-checked, safety-checked, metered and audited.
"""
