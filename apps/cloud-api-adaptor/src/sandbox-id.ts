/** Sandbox ids become directory names under the pods dir: nothing that could leave it. */
export const SANDBOX_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
