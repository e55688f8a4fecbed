// entry for the embedded tracker utility process
export {};
