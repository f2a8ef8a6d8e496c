"""The Whoosh boundary: the only code that relies on Whoosh's private internals.
"""
