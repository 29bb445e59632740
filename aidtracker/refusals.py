"""The refusal a rule raises when something cannot be saved as entered."""


class FieldRefusal(ValueError):
    """Cannot be saved as asked; `field` names the form field at fault (None: the whole form).

    The message is often a lazy gettext string, translated only when shown.
    """

    field: str | None = None

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)
