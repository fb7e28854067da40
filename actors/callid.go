package actors

import "context"

type callIDKey struct{}

// WithCallID tells the host which tool call an effect belongs to, so that
// the journal can say which calls had their effect before a crash.
func WithCallID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, callIDKey{}, id)
}

// CallID is the tool call a host action is part of, "" outside a call.
func CallID(ctx context.Context) string {
	id, _ := ctx.Value(callIDKey{}).(string)
	return id
}
