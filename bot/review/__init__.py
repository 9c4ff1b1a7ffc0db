"""The review loop for staff: what the assistant could not answer, recorded with each
conversation by the Rasa server (bot.server.review_recording), is grouped by likeness
(grouping) and turned into knowledge by a curator (store, knowledge_edit, accounts) from the
command line (`python -m bot review`, cli)."""
