// Node 20 is this project's local floor (Lambda runs 22); the SDK's upgrade notice is noise in tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
