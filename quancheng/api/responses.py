"""The error responses each kind of operation documents in the OpenAPI document."""

from .schemas import Error

READ = {401: Error, 404: Error, 422: Error}
LIST = {401: Error, 422: Error}
CREATE = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}
CHANGE = CREATE
