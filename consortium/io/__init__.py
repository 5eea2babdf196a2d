"""Instance I/O, the bottom layer: JSON files (:mod:`.jsonfile`), the validated
instance (:mod:`.instance`), OR-Library set-covering files (:mod:`.orlib`)."""
