"""Calendar feeds: `ics` renders iCalendar, `feeds` chooses what each feed shows, `tokens` guards personal feeds."""
