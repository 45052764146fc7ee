from cs_platform.core.api.errors import exception_handler

__all__ = ["exception_handler"]
