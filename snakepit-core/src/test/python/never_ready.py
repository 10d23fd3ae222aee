"""A worker script that starts but never writes its ready file (a hung import, say)."""

import threading

if __name__ == "__main__":
    threading.Event().wait()
