"""What every domain shares and nothing in it knows about a domain.

errors (Invalid), forms (declared fields), locale and clock, money, paging,
crypto primitives and background jobs. Imports only ``clinic.db`` and the
standard library and third-party packages; never ``clinic.web`` or a domain.
"""
