"""The notification centre: the bell, the list, opening a notification, the user's channel choice."""
