package supplychain

import (
	"errors"
	"fmt"

	"github.com/palisade-dev/palisade/internal/object"
	"github.com/palisade-dev/palisade/internal/rule"
)

// image is one container of a pod template with its parsed image reference.
type image struct {
	object.Container
	ref reference
}

// path locates the container's image field.
func (im image) path() object.Path { return im.Path.Field("image") }

// images parses the image of every init, regular and ephemeral container of
// the pass's workload; it returns nothing for other objects. Containers
// without an image are skipped: controller templates may leave it for
// configuration management or an admission webhook to fill in.
//
// A reference that does not parse is returned in the error, joined with the
// others, while the valid ones are still returned: the rule cannot judge an
// image it cannot read (and the kubelet would refuse to pull it), but that
// must not hide the findings of the other containers.
func images(pass *rule.Pass) ([]image, error) {
	if _, ok := pass.Object.PodTemplate(); !ok {
		return nil, nil
	}
	// Four rules read the images of every workload: parse them once.
	p := pass.Set.Memo(imagesKey{pass.Object}, func() any {
		var r parsedImages
		r.images, r.err = parseImages(pass.Object)
		return r
	}).(parsedImages)
	return p.images, p.err
}

// imagesKey memoizes the parsed images of one object.
type imagesKey struct{ o *object.Object }

type parsedImages struct {
	images []image
	err    error
}

func parseImages(o *object.Object) ([]image, error) {
	pod, _ := o.PodTemplate()
	var out []image
	var errs []error
	for _, c := range pod.Containers() {
		if c.Image == "" {
			continue
		}
		ref, err := cachedReference(c.Image)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: image %q: %w", rule.ContainerMessage(c), c.Image, err))
			continue
		}
		out = append(out, image{Container: c, ref: ref})
	}
	return out, errors.Join(errs...)
}
