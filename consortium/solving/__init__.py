"""From a validated instance to a verified plan: build the model (:mod:`.build`),
pick a method and run it (:mod:`.dispatch`), read the plan (:mod:`.solve`),
explain unformed targets (:mod:`.reasons`) and infeasibility
(:mod:`.diagnose`), verify (:mod:`.verified`); re-solves of one loaded model
(:mod:`.session`), many solves in parallel (:mod:`.runner`), solver profiles
(:mod:`.profiles`), ``validate``'s findings (:mod:`.validate`)."""
