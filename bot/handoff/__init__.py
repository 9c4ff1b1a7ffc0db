"""Handing a conversation to staff: live, when a member of staff is available in the
console, or as a ticket (a question left for staff) when nobody is. The state lives in the
conversation database, so every server process, replica and the console see the same."""
