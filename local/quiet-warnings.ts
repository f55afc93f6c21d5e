/**
 * The AWS SDK warns on start that its releases after January 2027 need Node 22. Lambda
 * runs Node 22+; locally Node 20.19+ works with the versions pinned in package-lock.json,
 * so the local stack and the CLI switch the warning off with the SDK's own setting.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
