"""Writes of the video-ringtone product, split by stage: drafts (creation and editing),
rendering, review, publishing."""
