"""The one error a workflow step raises: a message for the person who asked, never a server error."""


class WorkflowError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
