package journal

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cadre-dev/cadre/messaging"
)

func TestRecordRoundTrip(t *testing.T) {
	coder := messaging.MustParseAddress("/root/coder_a")
	tests := []struct {
		name string
		ev   messaging.Event
	}{
		{"agent event", messaging.Event{Type: messaging.EvToolResult, Agent: coder, Gen: 3,
			Time: time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC), Data: []byte(`{"call_id":"c1","output":"ok"}`)}},
		{"run event without data", messaging.Event{Type: messaging.EvRunFinished, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}},
		{"before 1970", messaging.Event{Type: messaging.EvWarning, Time: time.Date(1960, 5, 6, 7, 8, 9, 999, time.UTC), Data: []byte(`{}`)}},
		{"negative generation", messaging.Event{Type: messaging.EvWarning, Agent: messaging.Root, Gen: -1, Time: time.Unix(0, 1).UTC()}},
	}
	d := newRecordDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := encodeRecord(nil, tt.ev)
			got, err := d.decode("r-1", 7, raw)
			if err != nil {
				t.Fatal(err)
			}
			if got.Seq != 7 || got.Run != "r-1" || got.Type != tt.ev.Type || got.Agent != tt.ev.Agent ||
				got.Gen != tt.ev.Gen || !got.Time.Equal(tt.ev.Time) || string(got.Data) != string(tt.ev.Data) {
				t.Errorf("decode(encode(%+v)) = %+v", tt.ev, got)
			}
			// The decoded event must not share memory with the record,
			// which bbolt reuses after the transaction.
			for i := range raw {
				raw[i] = 0xff
			}
			if len(tt.ev.Data) > 0 && string(got.Data) != string(tt.ev.Data) {
				t.Errorf("decoded data changed with the record: %q", got.Data)
			}
		})
	}
}

func TestRecordTruncated(t *testing.T) {
	raw := encodeRecord(nil, messaging.Event{Type: messaging.EvWarning, Agent: messaging.Root, Time: time.Now()})
	d := newRecordDecoder()
	// Every cut before the payload loses a header field.
	for n := 0; n < len(raw); n++ {
		_, err := d.decode("r-1", 1, raw[:n])
		if !errors.Is(err, errShortRecord) {
			t.Errorf("decode of %d of %d bytes = %v, want errShortRecord", n, len(raw), err)
		}
	}
	// Type "t", then agent "root" (not an address).
	withAgent := encodeRecord(nil, messaging.Event{Type: "t", Time: time.Now()})
	withAgent = append(withAgent[:2], append([]byte{4, 'r', 'o', 'o', 't'}, withAgent[3:]...)...)
	if _, err := d.decode("r-1", 1, withAgent); err == nil || !strings.Contains(err.Error(), "agent") {
		t.Errorf("decode of an invalid address = %v, want an agent error", err)
	}
}
