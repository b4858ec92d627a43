from piccolo.columns import Date, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Patient(Table, tablename="patient"):
    mrn = Varchar(length=20, unique=True)
    first_name = Varchar(length=80)
    last_name = Varchar(length=80)
    date_of_birth = Date()
    sex = Varchar(length=20, default="")
    phone = Varchar(length=32, default="")
    email = Varchar(length=254, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
