from decimal import Decimal


def euros(amount: Decimal) -> str:
    """French style: narrow no-break spaces between thousands, no cents ("260 000 €")."""
    return f"{amount:,.0f}".replace(",", "\u202f") + " €"
