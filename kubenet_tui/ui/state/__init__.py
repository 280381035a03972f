"""The explorer's interaction state as plain models, k9s style (its `internal/model`): the prompt's buffer,
flash messages, the focus ring, and the explorer state that ties them to the data and the question being
asked. No Textual here (a test enforces it): the app routes keys and messages in, and draws what these
say; their unit tests run in milliseconds."""
