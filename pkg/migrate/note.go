package migrate

// Status says what became of one key or file of the Chains installation.
type Status string

const (
	// Carried: written as it was, with the same meaning.
	Carried Status = "carried"
	// Translated: written as another key or value, with the same effect.
	Translated Status = "translated"
	// Changed: written, but chainseal does it differently; the reason says how.
	Changed Status = "changed"
	// Added: a chainseal key migrate writes that Chains had no key for.
	Added Status = "added"
	// Needed: something chainseal needs that the Chains installation does
	// not give; the todo says what to do.
	Needed Status = "needed"
	// Dropped: not written; the reason says why.
	Dropped Status = "dropped"
)

// Note is what migrate did with one chains-config key, one file of the
// signing Secret, or one thing it could not carry over.
type Note struct {
	// Key is the chains-config key, the signing Secret's file
	// ("signing-secrets/cosign.key"), or the chainseal key it is about; ""
	// for a note about the namespace as a whole.
	Key    string
	Status Status
	// Written are the chainseal-config keys (or chainseal-signing files)
	// written for it. Values are not kept here: some are credentials.
	Written []string
	Reason  string
	// Todo is what must be done outside chainseal for it to work; Blocking
	// says runs in the namespace fail until it is done.
	Todo     string
	Blocking bool
}
