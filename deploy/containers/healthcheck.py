"""Container health check: exit 0 when the URL answers below 500 within the timeout, 1 otherwise.

The images carry no curl (the registry's python:3.10-slim has none either), so the check is Python's own urllib.
"""
import sys
import urllib.error
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2]) if len(sys.argv) > 2 else 4) as r:
        sys.exit(0 if r.status < 500 else 1)
except urllib.error.HTTPError as e:  # Rasa's "/" and the front answer 200; a 4xx still means the process serves
    sys.exit(0 if e.code < 500 else 1)
except Exception as e:
    print(f"unhealthy: {e}", file=sys.stderr)
    sys.exit(1)
