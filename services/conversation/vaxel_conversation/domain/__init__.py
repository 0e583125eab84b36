"""The conversation service's pure core: messages, their rules, transcripts and the interactions' holders."""
