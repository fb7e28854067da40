// Package textstat computes small statistics about text.
package textstat

import "strings"

// WordCount returns the number of words in s.
func WordCount(s string) int {
	return len(strings.Split(s, " "))
}
