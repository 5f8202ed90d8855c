"""Distinct id types, so an order id is never passed where a customer id belongs."""

from typing import NewType

TillId = NewType("TillId", str)
OrderId = NewType("OrderId", str)
CustomerId = NewType("CustomerId", str)
MessageId = NewType("MessageId", str)
CallId = NewType("CallId", str)
PaymentId = NewType("PaymentId", str)
LineId = NewType("LineId", str)
AlertId = NewType("AlertId", str)
DocId = NewType("DocId", str)
Sku = NewType("Sku", str)
