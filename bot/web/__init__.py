"""The aiohttp web front: the one public port. Widget, staff console, WeChat and registration webhooks, and
the JSON API, all talking to Rasa (on loopback) over its REST channel."""
