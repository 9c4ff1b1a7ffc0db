"""The review loop for staff: what the assistant could not answer is recorded with each
conversation (recording), grouped by likeness (grouping), and turned into knowledge by a
curator (store, knowledge_edit) from the command line (`python -m bot review`)."""
