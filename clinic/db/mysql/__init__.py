"""Our Piccolo engine for MySQL 8 and MariaDB (see engine.py)."""

from clinic.db.mysql.engine import MySQLEngine

__all__ = ["MySQLEngine"]
