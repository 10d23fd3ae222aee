"""A module that cannot be imported, as with a missing dependency."""

import this_dependency_is_not_installed  # noqa: F401
