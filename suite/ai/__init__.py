"""The model-access layer: one gateway to speech, language, image and vision models.

Product modules call the capability functions in `suite.ai.gateway` (re-exported here) and never
a backend directly, so every call is metered, quota-checked, safety-checked and audited.
"""
