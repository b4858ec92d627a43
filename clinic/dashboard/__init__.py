"""The first screen after sign-in: today at the clinic."""
