/* placeholder: filled in by its owner during the founding session */
