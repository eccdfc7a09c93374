// Empty: SwiftPM needs one source file; the code is in include/CPopcount.h.
