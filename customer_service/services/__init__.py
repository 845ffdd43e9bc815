"""Writes, split by subject: knowledge, lexicon, dialogue, tickets."""
