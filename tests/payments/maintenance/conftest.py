from tests.fakes import stripe_fixtures

fake_stripe = stripe_fixtures.fake_stripe
stripe_account = stripe_fixtures.stripe_account
