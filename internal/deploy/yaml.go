package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"
)

// MarshalYAML returns obj as one YAML document without the fields that the
// API server fills in (status, creationTimestamp), keys sorted.
func MarshalYAML(obj any) ([]byte, error) {
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	delete(m, "status")
	prune(m)
	return yaml.Marshal(m)
}

// prune removes creationTimestamp: null from every metadata in v (pod
// templates have one too). Empty maps stay: an empty podSelector means
// every pod.
func prune(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "creationTimestamp" && x == nil {
				delete(v, k)
				continue
			}
			prune(x)
		}
	case []any:
		for _, x := range v {
			prune(x)
		}
	}
}

// WriteYAML writes objs to w as a multi-document YAML stream, each document
// starting with ---.
func WriteYAML(w io.Writer, objs []any) error {
	var b bytes.Buffer
	for _, o := range objs {
		doc, err := MarshalYAML(o)
		if err != nil {
			return fmt.Errorf("%T: %w", o, err)
		}
		b.WriteString("---\n")
		b.Write(doc)
	}
	_, err := w.Write(b.Bytes())
	return err
}
