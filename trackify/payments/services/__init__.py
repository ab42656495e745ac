"""The payment services: the only code that moves payment, refund or invoice state.

One module per operation, each function named `<entity>_<action>` and imported from its module
(`from trackify.payments.services.sessions import payment_session_create`); there is no facade
class, so every operation has exactly one name. Every write of state goes through `ledger`.
"""
